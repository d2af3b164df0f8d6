// The image panel: the images (docker images), and for the selected one its history and its
// layers as a stack of bars sized by layer size, layers other images share marked. All data
// comes from docker commands through layerlab.exec.
const UNITS = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

// bytes reads the sizes docker prints ("4.26MB", "0B").
function bytes(s) {
  const m = /^([\d.]+)\s*([kKMGT]?B)$/.exec(s || '');
  return m ? parseFloat(m[1]) * UNITS[m[2]] : 0;
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function jsonLines(s) {
  return s.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export class Images {
  constructor(el, { layerlab, onError }) {
    this.el = el;
    this.ll = layerlab;
    this.onError = onError;
    this.list = el.querySelector('.image-list');
    this.detail = el.querySelector('.image-detail');
    this.selected = null; // image ID
  }

  async docker(line) {
    const r = await this.ll.exec(line);
    if (r.exitCode !== 0) throw new Error(r.stderr.trim() || `${line}: exit ${r.exitCode}`);
    return r.stdout;
  }

  async refresh() {
    let images;
    let layersOf = new Map();
    try {
      images = jsonLines(await this.docker("docker images --format '{{json .}}'"));
      const ids = [...new Set(images.map((i) => i.ID))];
      if (ids.length) {
        const out = await this.docker(`docker image inspect --format '{{.Id}} {{json .RootFS.Layers}}' ${ids.join(' ')}`);
        for (const line of out.split('\n').filter(Boolean)) {
          const sp = line.indexOf(' ');
          layersOf.set(line.slice(0, sp), JSON.parse(line.slice(sp + 1)) || []);
        }
      }
    } catch (e) {
      this.onError(`Listing images: ${e.message}`);
      return;
    }
    this.layersOf = layersOf;
    this.images = images;
    if (!images.length) {
      this.list.replaceChildren(el('p', { class: 'empty', text: 'No images yet. Load one with docker load -i image.tar (upload the tar in Files first).' }));
      this.detail.replaceChildren();
      this.selected = null;
      return;
    }
    const ul = el('ul', { role: 'listbox', 'aria-label': 'Images' });
    for (const img of images) {
      const name = img.Repository === '<none>' ? img.ID : `${img.Repository}:${img.Tag}`;
      const ref = img.Repository === '<none>' ? img.ID : name;
      const b = el('button', {
        role: 'option',
        'aria-selected': String(this.selected === ref),
        'data-ref': ref,
        onclick: () => this.select(ref),
      }, el('span', { class: 'name', text: name }), el('span', { class: 'meta', text: `${img.ID} · ${img.Size} · ${img.CreatedSince}` }));
      ul.append(el('li', {}, b));
    }
    this.list.replaceChildren(ul);
    const still = images.some((i) => (i.Repository === '<none>' ? i.ID : `${i.Repository}:${i.Tag}`) === this.selected);
    if (!still) this.selected = null;
    await this.select(this.selected || (images[0].Repository === '<none>' ? images[0].ID : `${images[0].Repository}:${images[0].Tag}`));
  }

  async select(ref) {
    this.selected = ref;
    for (const b of this.list.querySelectorAll('button[data-ref]')) b.setAttribute('aria-selected', String(b.dataset.ref === ref));
    let history;
    let id;
    try {
      history = jsonLines(await this.docker(`docker history --no-trunc --format '{{json .}}' ${ref}`));
      id = (await this.docker(`docker image inspect --format '{{.Id}}' ${ref}`)).trim();
    } catch (e) {
      this.onError(`Reading ${ref}: ${e.message}`);
      return;
    }
    const layers = this.layersOf?.get(id) || [];
    const shared = new Set();
    for (const [other, ls] of this.layersOf || []) {
      if (other === id) continue;
      for (const l of ls) if (layers.includes(l)) shared.add(l);
    }
    // History is newest first; the layers are the steps that wrote files, oldest first.
    const steps = [...history].reverse();
    const sized = steps.filter((h) => h.Size !== '0B');
    const pairs = sized.length === layers.length ? sized.map((h, i) => ({ h, layer: layers[i] })) : layers.map((l) => ({ h: null, layer: l }));
    const max = Math.max(1, ...pairs.map((p) => bytes(p.h?.Size)));
    const stack = el('ol', { class: 'stack', 'aria-label': `Layers of ${ref}, top first` });
    for (const { h, layer } of [...pairs].reverse()) {
      const size = h ? bytes(h.Size) : 0;
      const width = h ? Math.max(4, Math.round((100 * Math.sqrt(size)) / Math.sqrt(max))) : 100;
      const isShared = shared.has(layer);
      stack.append(el('li', { class: isShared ? 'shared' : '', title: `${layer}\n${h ? h.CreatedBy : ''}` },
        el('span', { class: 'bar', style: `width:${width}%` }),
        el('span', { class: 'label', text: `${h ? h.Size : ''} ${isShared ? '· shared ' : ''}${h ? h.CreatedBy.replace(/^\/bin\/sh -c #\(nop\) /, '').slice(0, 60) : layer.slice(7, 19)}` })));
    }
    const table = el('table', { class: 'history' },
      el('thead', {}, el('tr', {}, el('th', { text: 'CREATED BY' }), el('th', { text: 'SIZE' }))));
    const tbody = el('tbody');
    for (const h of history) tbody.append(el('tr', {}, el('td', { text: h.CreatedBy, title: h.CreatedBy }), el('td', { text: h.Size })));
    table.append(tbody);
    this.detail.replaceChildren(
      el('h3', { text: `Layers of ${ref}` }),
      layers.length ? stack : el('p', { class: 'empty', text: 'No layers.' }),
      el('p', { class: 'legend', text: shared.size ? 'Marked layers are shared with other images: stored once.' : 'Bar length grows with layer size.' }),
      el('h3', { text: 'History' }),
      table,
    );
  }
}
