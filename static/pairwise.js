// Small behaviours kept out of inline scripts (so a strict Content-Security-Policy can apply).
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
