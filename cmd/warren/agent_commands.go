package main

// agentCommands are the tunnel agent commands: http, tcp, start, replay.
func agentCommands() map[string]command {
	return map[string]command{
		"http":   {summary: "expose a local HTTP service: warren http PORT|HOST:PORT [--subdomain S]", run: runHTTP},
		"tcp":    {summary: "expose a local TCP service: warren tcp PORT|HOST:PORT", run: runTCP},
		"start":  {summary: "open several tunnels from a config file: warren start --config FILE", run: runStart},
		"replay": {summary: "re-send captured requests: warren replay REQ_ID [--to URL] | --tunnel S [--status 5xx] [--since 1h]", run: runReplay},
	}
}
