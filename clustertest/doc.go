// Package clustertest holds the multi-node acceptance test: it builds the instainstru binary,
// starts three real `serve` processes on free loopback ports against one fresh database, and
// checks what the actor cluster promises: membership, one activation per instructor, no double
// booking and no lost acknowledged booking under a storm, survival of a kill -9, and rejoining.
// It has no code of its own besides the test.
package clustertest
