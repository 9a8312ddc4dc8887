// Passkeys (issue #17) with @simplewebauthn/browser (simplewebauthn-browser.js,
// loaded first). The sign-in page: the "Sign in with a passkey" button and
// autofill (conditional mediation) in the email field. The account page: "Add
// a passkey", in the section and in the offer. Every control stays hidden on a
// browser without WebAuthn; the URLs and texts come from data-* attributes.
'use strict';
(() => {
  const lib = window.SimpleWebAuthnBrowser;
  if (!lib || !lib.browserSupportsWebAuthn()) return;

  const post = (url, body) =>
    fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body || {}),
    });
  async function answer(response) {
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error('refused'), { serverMessage: body && body.error && body.error.message });
    return body;
  }
  const cancelled = (error) => error && (error.name === 'AbortError' || error.code === 'ERROR_CEREMONY_ABORTED');

  const signIn = document.getElementById('passkey-sign-in');
  if (signIn) {
    const button = document.getElementById('passkey-button');
    const error = document.getElementById('passkey-error');
    const data = signIn.dataset;
    signIn.hidden = false;
    const run = async (useBrowserAutofill) => {
      const { options } = await answer(await post(data.optionsUrl));
      const response = await lib.startAuthentication({ optionsJSON: options, useBrowserAutofill });
      const result = await answer(await post(data.verifyUrl, { response, redirectTo: data.redirectTo || undefined }));
      window.location.assign(result.redirectTo);
    };
    const report = (failure) => {
      if (!cancelled(failure)) error.textContent = failure.serverMessage || data.failed;
    };
    button.addEventListener('click', () => {
      error.textContent = '';
      run(false).catch(report);
    });
    // Autofill: the browser offers this site's passkeys in the email field; quiet unless the server refused.
    lib.browserSupportsWebAuthnAutofill().then((supported) => {
      if (supported && data.autofill === 'on') run(true).catch((failure) => failure.serverMessage && report(failure));
    });
  }

  for (const add of document.querySelectorAll('.passkey-add')) {
    const data = add.dataset;
    const error = document.getElementById(data.errorTarget);
    add.hidden = false;
    const offer = add.closest('#passkey-offer');
    if (offer) offer.hidden = false;
    add.addEventListener('click', async () => {
      if (error) error.textContent = '';
      add.disabled = true;
      try {
        const { options } = await answer(await post(data.optionsUrl));
        const response = await lib.startRegistration({ optionsJSON: options });
        await answer(await post(data.verifyUrl, { response }));
        window.location.assign(data.doneUrl);
      } catch (failure) {
        if (error && !cancelled(failure)) error.textContent = failure.serverMessage || data.failed;
        add.disabled = false;
      }
    });
  }
})();
