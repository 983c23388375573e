package server

import (
	"warren/domain"
	"warren/edge/access"
)

// accessRuleMaker gives the API edge/access's checks of a reservation's
// access rules, so what the API records is what the edge can enforce
// without httpapi importing the edge.
type accessRuleMaker struct{}

func (accessRuleMaker) HashUser(user, password string) (domain.AccessCredential, error) {
	return access.HashUser(user, password)
}

func (accessRuleMaker) Normalize(r domain.AccessRules) (domain.AccessRules, error) {
	return access.Normalize(r)
}
