// Starts Swagger UI on /docs from the hub's own copy (/static/vendor/swagger-ui-bundle.js).
// A file of ours rather than an inline script: the page's CSP allows script from 'self' only.
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  if (typeof SwaggerUIBundle !== "function") {
    return; // the page already says the library is not installed
  }
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    // the document is read with the page's own cookie; no validator badge (it would call out)
    validatorUrl: null,
  });
})();
