/* The demo page: shows each demo's own tag under it, with a copy button,
 * and lists every view's attributes from the element's declarations. */
import { VAEDemo } from './vae-demo.js';

/* An attribute as a tag would spell it: with its default when it has a fixed one. */
const spelled = ([name, fallback]) => (typeof fallback === 'function' ? name : `${name}="${fallback}"`);

function snippet(demo) {
  const view = demo.getAttribute('view');
  const names = new Set(['model', 'view', ...Object.keys(VAEDemo.views[view] ?? {}), ...Object.keys(VAEDemo.common)]);
  const attrs = [...names].filter((a) => demo.hasAttribute(a)).map((a) => ` ${a}="${demo.getAttribute(a)}"`).join('');
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
const list = document.getElementById('view-attributes');
if (list) {
  const item = (name, attrs) => {
    const li = document.createElement('li'), b = document.createElement('b');
    b.textContent = name;
    const names = Object.entries(attrs).map(spelled);
    li.append(b, ': ', ...names.flatMap((n, i) => [i ? ' ' : '', Object.assign(document.createElement('code'), { textContent: n })]));
    if (!names.length) li.append('no attributes of its own');
    return li;
  };
  list.replaceChildren(item('every view', VAEDemo.common), ...Object.entries(VAEDemo.views).map(([view, attrs]) => item(view, attrs)));
}
