// Package httpapi is Warren's control-plane API: httprouter handlers, key
// auth, ngrok-style pagination and errors, and the SSE request stream.
package httpapi
