// Express 4 as the devDependency alias `express4` (npm:express@^4), for the adapter
// test that runs against both majors; its own types are @types/express@4, which
// would clash with Express 5's, so it borrows those (the test calls only what both have).
declare module 'express4' {
  import express from 'express';
  export default express;
}
