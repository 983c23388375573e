// Package client is a small typed Go client for Warren's control-plane API,
// used by the CLI; errors carry the API's code and message.
package client
