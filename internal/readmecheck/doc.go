// Package readmecheck has no code: its test checks that the Go programs in
// the README's library section compile as written, against this checkout.
package readmecheck
