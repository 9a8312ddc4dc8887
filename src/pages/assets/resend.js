// The resend form (check-your-email and error pages): a live countdown of the
// wait the server enforces (data-wait-seconds, computed by the server from the
// newest request), with the button disabled until it ends.
'use strict';
(() => {
  const resend = document.getElementById('resend');
  if (!resend) return;
  const button = resend.querySelector('button[type="submit"]');
  const status = document.getElementById('resend-status');
  const wait = Number(resend.dataset.waitSeconds || 0);
  if (!button || !status || !(wait > 0)) return;
  const deadline = Date.now() + wait * 1000;
  let lastShown = null;
  const tick = () => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    if (left === lastShown) return;
    lastShown = left;
    button.disabled = left > 0;
    // Read out only "you can ask now", not every second of the countdown.
    status.setAttribute('aria-live', left > 0 ? 'off' : 'polite');
    status.textContent = left > 0
      ? (resend.dataset.waitText || '').replace('{seconds}', String(left))
      : resend.dataset.readyText || '';
    if (left === 0) clearInterval(timer);
  };
  const timer = setInterval(tick, 250);
  tick();
})();
