// Only served to the browser that asked for the link (it holds the flow cookie).
document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('verify');
  if (form && form.dataset.autoSubmit === 'true') form.requestSubmit();
});
