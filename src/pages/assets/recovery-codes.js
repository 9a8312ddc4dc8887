// Recovery codes page (issue #12): "Copy codes" puts every code on the clipboard,
// one per line; "Download as a text file" saves them, from the codes on this page
// (a Blob: nothing goes back to the server, which keeps only their HMACs).
// Without JavaScript the buttons stay hidden and the list itself is the copy.
'use strict';
(() => {
  const actions = document.getElementById('recovery-actions');
  const list = document.querySelector('[data-testid="recovery-codes"]');
  const copy = document.getElementById('recovery-copy');
  const download = document.getElementById('recovery-download');
  if (!actions || !list || !copy || !download) return;
  const codes = [...list.querySelectorAll('code')].map((code) => code.textContent.trim());
  const text = `${codes.join('\n')}\n`;

  // The clipboard API exists only in secure contexts (https, or localhost).
  if (navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(text);
        copy.textContent = actions.dataset.copied;
      } catch {
        copy.textContent = actions.dataset.copyFailed;
      }
    });
  }

  download.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([`${actions.dataset.heading}\n\n${text}`], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = actions.dataset.filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  actions.hidden = false;
})();
