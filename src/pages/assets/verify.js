// Only served to the browser that asked for the link (it holds the flow cookie):
// it continues by itself. Without JavaScript the page waits for one click.
document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('verify');
  if (!form || form.dataset.autoSubmit !== 'true') return;
  const status = document.getElementById('verify-status');
  if (status) status.textContent = form.dataset.continuing || '';
  form.requestSubmit();
});
