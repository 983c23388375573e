// Package access decides who may reach a tunnel: HTTP basic auth against
// stored argon2id hashes, and CIDR allow and deny lists on the client
// address. It is a pure decision (Check) plus the small page a refused
// visitor sees (WriteRefusal); the edge wires both in front of the agent,
// so a refused request never reaches it.
//
// Order: address rules first (403, reason "ip"), then basic auth (401,
// reason "basic_auth"), so a visitor from a denied address is never asked
// for a password. Deny wins over allow; with an allow list, only listed
// addresses pass.
package access
