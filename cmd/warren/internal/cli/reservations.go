package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// RunReservations is `warren reservations [--json]`: subdomains and TCP
// ports, one KIND/NAME table (NAME is what `reservations rm` takes).
func RunReservations(ctx context.Context, e *command.Env, args []string) error {
	return listing[client.Reservation]{
		name: "reservations", usage: "reservations [--json] | reservations add NAME | reservations add --tcp [--port N] | reservations rm NAME|tcp:PORT",
		empty: "No reservations.", header: []string{"KIND", "NAME", "RESERVED"},
		fetch: (*client.Client).Reservations,
		row: func(r client.Reservation) []string {
			if r.Port != 0 {
				return []string{"tcp", reservationName(r), when(r.CreatedAt)}
			}
			return []string{"subdomain", r.Subdomain, when(r.CreatedAt)}
		},
	}.run(ctx, e, args)
}

// reservationName is a reservation's NAME: its subdomain, or "tcp:PORT".
func reservationName(r client.Reservation) string {
	if r.Port == 0 {
		return r.Subdomain
	}
	if r.Name != "" {
		return r.Name
	}
	return "tcp:" + strconv.Itoa(r.Port)
}

// RunReservationAdd is `warren reservations add NAME` (a subdomain) or
// `warren reservations add --tcp [--port N]` (a TCP port of the server's
// range, the lowest free one without --port).
func RunReservationAdd(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "reservations add", "reservations add NAME | reservations add --tcp [--port N] [--json]")
	cf := addConnFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	tcp := fs.Bool("tcp", false, "reserve a TCP port instead of a subdomain")
	port := fs.Int("port", 0, "with --tcp: this port of the server's range (default: the lowest free one)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *port != 0 && !*tcp:
		fs.Usage()
		return &command.ExitError{Code: 2, Err: errors.New("--port reserves a TCP port: add --tcp")}
	case *tcp:
		err = wantArgs(fs, pos, 0, "")
	default:
		err = wantArgs(fs, pos, 1, "NAME")
	}
	if err != nil {
		return err
	}
	c, err := apiClient(e, cf, false)
	if err != nil {
		return err
	}
	var r client.Reservation
	if *tcp {
		r, err = c.ReservePort(ctx, *port)
	} else {
		r, err = c.Reserve(ctx, pos[0])
	}
	if err != nil {
		return APIError(err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, r)
	}
	if r.Port == 0 {
		_, err = fmt.Fprintf(e.Stdout, "Reserved %s.\n", r.Subdomain)
		return err
	}
	_, err = fmt.Fprintf(e.Stdout, "Reserved TCP port %d (%s).\nUse it: warren tcp LOCAL_PORT --port %d\n", r.Port, reservationName(r), r.Port)
	return err
}

// RunReservationRm is `warren reservations rm NAME|tcp:PORT` or
// `warren reservations rm --tcp PORT`.
func RunReservationRm(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "reservations rm", "reservations rm NAME | reservations rm tcp:PORT | reservations rm --tcp PORT")
	cf := addConnFlags(fs)
	tcp := fs.Bool("tcp", false, "the argument is a reserved TCP port (as tcp:PORT)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "NAME"); err != nil {
		return err
	}
	name := pos[0]
	if *tcp {
		p, err := strconv.Atoi(name)
		if err != nil || p <= 0 || p > 65535 {
			fs.Usage()
			return &command.ExitError{Code: 2, Err: fmt.Errorf("--tcp %q: not a port", name)}
		}
		name = "tcp:" + strconv.Itoa(p)
	}
	c, err := apiClient(e, cf, false)
	if err != nil {
		return err
	}
	if err := c.Release(ctx, name); err != nil {
		return APIError(err)
	}
	_, err = fmt.Fprintf(e.Stdout, "Released %s.\n", name)
	return err
}
