package main

// agentCommands are the tunnel agent commands: http, tcp, start, replay.
func agentCommands() map[string]command {
	return map[string]command{}
}
