// Waiting page with cross-device approval: asks every two seconds whether the
// number was picked on the other device; once approved, takes the session by
// submitting the page's own form (a POST with its CSRF token). Refused or
// expired: reload, and the server shows why.
'use strict';
(() => {
  const form = document.getElementById('approval-complete');
  if (!form || !form.dataset.poll) return;
  let done = false;
  const poll = async () => {
    if (done) return;
    try {
      const response = await fetch(form.dataset.poll, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
      const { state } = await response.json();
      // Approved: take the session. Refused, expired or gone: the answer page says why.
      if (state !== 'pending') {
        done = true;
        form.requestSubmit();
        return;
      }
    } catch {
      // A network blip: try again at the next tick.
    }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 2000);
})();
