// Swagger UI for /docs, as a file: the site's CSP allows no inline scripts.
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  if (!node || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({ url: node.getAttribute("data-url"), dom_id: "#swagger-ui" });
});
