// Small behaviours kept out of inline scripts (so a strict Content-Security-Policy can apply).

// A page a launch answered with shows its own address (templates/base.html): a reload or a
// bookmark then asks for the page, not the launch's POST again (its id_token is used).
(function () {
  var url = document.body && document.body.dataset.pageUrl;
  if (url && window.history && history.replaceState) { history.replaceState(null, "", url); }
})();
document.addEventListener("DOMContentLoaded", function () {
  // Forms that hand a signed message to the platform submit themselves.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });
  // LTI Dynamic Registration: tell the platform's window that registration is complete.
  document.querySelectorAll("[data-lti-close]").forEach(function (button) {
    button.addEventListener("click", function () {
      (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    });
  });
});

// Intake: pre-fill the time zone from the browser on a first visit (the person can change it).
document.addEventListener("DOMContentLoaded", function () {
  var select = document.querySelector("select[data-browser-timezone]");
  if (!select || !window.Intl) { return; }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && select.querySelector('option[value="' + zone + '"]')) { select.value = zone; }
});
