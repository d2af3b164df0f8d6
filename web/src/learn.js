// The right-hand "Learn" panel: a Lesson tab (lessons.js) and a Build steps tab
// (stepper.js), plus the header's Share button and a build link's offer (share.js).
import { Lessons } from './lessons.js';
import { Stepper } from './stepper.js';
import { Share } from './share.js';
import { el } from './md.js';

export async function mountLearn({ layerlab, shell, onError }) {
  const root = document.getElementById('learn');
  const tabs = [...root.querySelectorAll('[role=tab]')];
  const select = (tab) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    }
  };
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => select(t));
    t.addEventListener('keydown', (ev) => {
      const d = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
      if (!d) return;
      const n = tabs[(i + d + tabs.length) % tabs.length];
      select(n);
      n.focus();
    });
  });
  const lessons = new Lessons(document.getElementById('lesson-panel'), { layerlab, shell, onError });
  const stepper = new Stepper(document.getElementById('stepper-panel'), { layerlab });
  const box = el('div', { id: 'share-box', class: 'share-box', hidden: true, role: 'dialog', 'aria-label': 'Build link' });
  document.querySelector('header').after(box);
  const share = new Share(box, { layerlab, lessons, onError });
  document.getElementById('share').addEventListener('click', () => share.share());
  document.getElementById('stepper-tab').addEventListener('click', () => stepper.refresh());
  await layerlab.ready;
  await lessons.load();
  // The stepper reads the build record only while it is in view: a build that tags an
  // image changes the index, and the tab's button or ↻ reload it otherwise.
  const panel = document.getElementById('stepper-panel');
  await layerlab.on('images', () => { if (!panel.hidden) stepper.refresh(); });
  await share.offer();
  return { lessons, stepper, share, showSteps: () => select(document.getElementById('stepper-tab')) };
}
