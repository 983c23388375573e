package main

// apiCommands are the client commands over the control-plane API: login,
// tunnels, requests, reservations, keys, domains, usage.
func apiCommands() map[string]command {
	return map[string]command{}
}
