// Package web is sandrun's HTTP front end: the browser page, the JSON API (/api/v1), the
// Piston-compatible API (/api/v2), WebSocket streaming, health, metrics and the OpenAPI document.
//
// It turns each HTTP request into one executor.Request and shows the executor.Result; it knows
// nothing of sandboxes. It is not for the page's own source (web/ui, bundled into web/static).
package web
