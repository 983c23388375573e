package domain

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an Error. httpapi maps each code to one HTTP status.
type Code string

// The error codes. Anything that is not an *Error is treated as CodeInternal.
const (
	CodeInvalid      Code = "invalid"
	CodeUnauthorized Code = "unauthorized"
	CodeForbidden    Code = "forbidden"
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeGone         Code = "gone"
	CodeTooLarge     Code = "too_large"
	CodeQuota        Code = "quota"
	CodeUnavailable  Code = "unavailable"
	CodeInternal     Code = "internal"
)

// Error is Warren's one error type: a code for machines, a message for people.
type Error struct {
	Code    Code
	Message string
	Err     error // optional cause, kept for logs and errors.Is
	// RetryAfter, when positive, is how long the caller should wait before
	// trying again (CodeQuota from a rate limit: HTTP's Retry-After).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal when there is none. A nil error has no code ("").
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the human message of the first *Error in err's chain,
// or a generic text for internal errors (whose details belong in logs only).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e.Message
	}
	return "internal error"
}

// RetryAfter returns the wait carried by the first *Error in err's chain
// (0 when none).
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
