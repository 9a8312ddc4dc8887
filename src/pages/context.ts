/** What every page needs from the request: branding, version, correlation. */
export interface PageContext {
  productName: string;
  version: string;
  requestId: string | null;
}
