/* Starts Swagger UI on /docs (kept out of the page: the CSP allows no inline script). */
"use strict";
window.addEventListener("load", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({url: root.dataset.openapi, dom_id: "#swagger-ui",
                               deepLinking: true, layout: "BaseLayout"});
});
