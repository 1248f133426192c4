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
