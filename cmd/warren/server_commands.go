package main

// serverCommands are the server and its offline tools: serve, admin, events,
// rebuild, backup.
func serverCommands() map[string]command {
	return map[string]command{}
}
