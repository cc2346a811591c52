package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClusterFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cc, err := clusterFromEnv(env(nil))
	require.NoError(t, err)
	require.Nil(t, cc, "no CLUSTER_NAME: one node")

	cc, err = clusterFromEnv(env(map[string]string{"CLUSTER_NAME": "c", "CLUSTER_ADDR": "127.0.0.1:7081",
		"CLUSTER_MEMBERSHIP_PORT": "7181", "CLUSTER_MEMBERS": "127.0.0.1:7181, 127.0.0.1:7182,,"}))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7081", cc.Addr)
	require.Equal(t, 7181, cc.MembershipPort)
	require.Equal(t, []string{"127.0.0.1:7181", "127.0.0.1:7182"}, cc.Members)

	for name, m := range map[string]map[string]string{
		"members without a name": {"CLUSTER_MEMBERS": "a:1"},
		"no addr":                {"CLUSTER_NAME": "c", "CLUSTER_MEMBERSHIP_PORT": "1", "CLUSTER_MEMBERS": "a:1"},
		"bad port":               {"CLUSTER_NAME": "c", "CLUSTER_ADDR": "h:1", "CLUSTER_MEMBERSHIP_PORT": "x", "CLUSTER_MEMBERS": "a:1"},
		"no members":             {"CLUSTER_NAME": "c", "CLUSTER_ADDR": "h:1", "CLUSTER_MEMBERSHIP_PORT": "2"},
		"member without port":    {"CLUSTER_NAME": "c", "CLUSTER_ADDR": "h:1", "CLUSTER_MEMBERSHIP_PORT": "2", "CLUSTER_MEMBERS": "a"},
		"bad refresh":            {"CLUSTER_NAME": "c", "CLUSTER_ADDR": "h:1", "CLUSTER_MEMBERSHIP_PORT": "2", "CLUSTER_MEMBERS": "a:1", "CLUSTER_MEMBERSHIP_REFRESH": "soon"},
	} {
		_, err := clusterFromEnv(env(m))
		require.Error(t, err, name)
	}
}
