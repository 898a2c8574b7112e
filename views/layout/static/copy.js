// copy.js puts a Copy button after every element with a data-copy
// attribute (the text to copy; data-copy-label names the button for screen
// readers). Pages work without it: the text stays on the page to select.
// Browsers offer the clipboard only in secure contexts (https or
// localhost); elsewhere no button is added.
(function () {
  "use strict";
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("[data-copy]").forEach(function (el) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small-button copy";
    b.textContent = "Copy";
    b.setAttribute("aria-label", el.getAttribute("data-copy-label") || "Copy");
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(el.getAttribute("data-copy")).then(function () {
        b.textContent = "Copied";
      }, function () {
        b.textContent = "Copy failed";
      });
      setTimeout(function () { b.textContent = "Copy"; }, 2000);
    });
    el.after(b);
  });
})();
