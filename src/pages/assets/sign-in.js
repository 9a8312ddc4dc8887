// Sign-in page: validates the address before submitting and hints at a
// mistyped domain while typing. The server does both too (without JavaScript the
// hint comes after submitting); the domain list and texts come from data-* on the form.
'use strict';
(() => {
  const form = document.getElementById('sign-in');
  const input = document.getElementById('email');
  const error = document.getElementById('email-error');
  const typo = document.getElementById('email-typo');
  if (!form || !input || !error || !typo) return;
  const domains = (form.dataset.typoDomains || '').split(',').filter(Boolean);
  const checked = form.querySelector('input[name="typoChecked"]');

  // Optimal string alignment distance, as in src/pages/email-typo.ts.
  function distance(a, b) {
    const d = [];
    for (let i = 0; i <= a.length; i++) d.push([i]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2][j - 2] + 1);
        d[i][j] = best;
      }
    }
    return d[a.length][b.length];
  }

  function suggest(email) {
    const at = email.lastIndexOf('@');
    if (at < 1) return null;
    const domain = email.slice(at + 1).trim().toLowerCase();
    if (domain.length < 4 || domains.includes(domain)) return null;
    let best = null;
    for (const candidate of domains) {
      const d = distance(domain, candidate);
      if (d <= (candidate.length >= 8 ? 2 : 1) && (!best || d < best.d)) best = { domain: candidate, d };
    }
    return best ? email.slice(0, at) + '@' + best.domain : null;
  }

  function fill(template, suggestion) {
    return template.replace('{suggestion}', suggestion);
  }

  function showTypo() {
    const suggestion = suggest(input.value.trim());
    typo.replaceChildren();
    if (!suggestion) return;
    const text = document.createElement('p');
    text.textContent = fill(form.dataset.typoQuestion || '', suggestion);
    const accept = document.createElement('button');
    accept.type = 'button';
    accept.className = 'secondary small';
    accept.textContent = fill(form.dataset.typoAccept || '', suggestion);
    accept.addEventListener('click', () => {
      input.value = suggestion;
      typo.replaceChildren();
      input.focus();
    });
    typo.append(text, accept);
    // The person has seen the hint: the server need not ask again.
    if (checked) checked.value = '1';
  }

  function clearError() {
    error.textContent = '';
    input.removeAttribute('aria-invalid');
  }

  input.addEventListener('input', () => {
    clearError();
    showTypo();
  });
  form.addEventListener('submit', (event) => {
    const value = input.value.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
      event.preventDefault();
      error.textContent = form.dataset.invalidEmail || '';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  });
})();
