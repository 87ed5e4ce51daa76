// Swagger UI for /docs, as a file: the site's CSP allows no inline scripts.
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  if (!node || !window.SwaggerUIBundle) return;
  // The page has its own h1 and API description: Swagger UI's info block (a second
  // h1) is left out, so headings stay one h1 with no skipped levels.
  var noInfo = function () {
    return { wrapComponents: { InfoContainer: function () { return function () { return null; }; } } };
  };
  window.SwaggerUIBundle({ url: node.getAttribute("data-url"), dom_id: "#swagger-ui", plugins: [noInfo] });
});
