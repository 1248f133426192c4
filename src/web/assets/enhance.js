// Progressive enhancement only: every form works without this file.
// A form that moves money is sent once: its buttons are disabled after the first submit
// (the server also keeps each form's idempotency key, so a second send changes nothing).
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== 'post') return;
  if (form.dataset.sent === 'true') { event.preventDefault(); return; }
  form.dataset.sent = 'true';
  setTimeout(function () {
    form.querySelectorAll('button').forEach(function (b) { b.setAttribute('aria-disabled', 'true'); });
  }, 0);
});
// The language list changes the page as soon as a language is picked; the button stays for keyboards and without script.
document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
  select.addEventListener('change', function () { if (select.form) select.form.requestSubmit(); });
});
// The live tracker: a region that names its own URL (data-refresh) is fetched again every 15 s while the page is visible
// and swapped when it changed; its parent is aria-live="polite". A final region names no URL, and the refreshing stops.
(function () {
  var region = document.querySelector('[data-refresh]');
  if (!region || !window.fetch) return;
  var timer = setInterval(function () {
    if (document.hidden) return;
    var current = document.querySelector('[data-refresh]');
    if (!current) { clearInterval(timer); return; }
    fetch(current.getAttribute('data-refresh'), { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (text) {
        if (text === null) return;
        var next = new DOMParser().parseFromString(text, 'text/html').body.firstElementChild;
        if (!next || next.id !== current.id) return;
        var was = current.innerHTML.replace(/<p class="hint">[\s\S]*?<\/p>/, '');
        var now = next.innerHTML.replace(/<p class="hint">[\s\S]*?<\/p>/, '');
        if (was !== now || !next.hasAttribute('data-refresh')) current.replaceWith(next);
        if (!next.hasAttribute('data-refresh')) clearInterval(timer);
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ });
  }, window.LC_REFRESH_MS || 15000);
})();
