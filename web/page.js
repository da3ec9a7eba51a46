/* The demo page: shows each demo's own tag under it, with a copy button. */
const ATTRIBUTES = ['model', 'view', 'seed', 'temperature', 'grid', 'label', 'with', 'without', 'noise', 'amount', 'threshold', 'size']; // the ones a reader would copy

function snippet(demo) {
  const attrs = ATTRIBUTES.filter((a) => demo.hasAttribute(a)).map((a) => ` ${a}="${demo.getAttribute(a)}"`).join('');
  return `<vae-demo${attrs}></vae-demo>`;
}

function copyButton(text) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'copy';
  b.textContent = 'Copy';
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Select and copy';
    }
    setTimeout(() => (b.textContent = 'Copy'), 1500);
  });
  return b;
}

for (const demo of document.querySelectorAll('.demo vae-demo')) {
  const pre = document.createElement('pre');
  pre.className = 'snippet';
  const code = document.createElement('code');
  code.textContent = snippet(demo);
  pre.append(code, copyButton(() => code.textContent));
  demo.closest('.demo').querySelector('.text').append(pre);
}
for (const pre of document.querySelectorAll('.embed pre, pre.api')) {
  const code = pre.querySelector('code');
  pre.append(copyButton(() => code.textContent));
}
