// Check-your-email page: a code field that takes a pasted "123 456" and submits
// a pasted whole code. The resend countdown is resend.js.
'use strict';
(() => {
  const code = document.getElementById('code');
  const form = document.getElementById('code-form');
  if (!code || !form) return;
  code.addEventListener('input', (event) => {
    const digits = code.value.replace(/\D/g, '').slice(0, 6);
    if (digits !== code.value) code.value = digits;
    // A pasted whole code submits itself; typed digits wait for the button.
    if (event.inputType === 'insertFromPaste' && digits.length === 6 && form.dataset.submitted !== '1') {
      form.dataset.submitted = '1';
      form.requestSubmit();
    }
  });
})();
