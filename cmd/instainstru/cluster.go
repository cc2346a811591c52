package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/instainstru/instainstru/actors"
	"github.com/instainstru/instainstru/api"
)

// Cluster wiring: CLUSTER_NAME, CLUSTER_ADDR, CLUSTER_MEMBERSHIP_PORT and CLUSTER_MEMBERS (all
// unset: one node, local actors). CLUSTER_ADDR's host may be `auto`: this machine's hostname
// resolved to its first address (what a container's peers dial); the remoting listener then binds
// every interface. CLUSTER_BIND_HOST overrides the bind address in any case.

// clusterFromEnv reads the cluster settings; nil when CLUSTER_NAME is unset.
func clusterFromEnv(get func(string) string) (*actors.ClusterConfig, error) {
	name := strings.TrimSpace(get("CLUSTER_NAME"))
	if name == "" {
		for _, k := range []string{"CLUSTER_ADDR", "CLUSTER_MEMBERSHIP_PORT", "CLUSTER_MEMBERS"} {
			if strings.TrimSpace(get(k)) != "" {
				return nil, fmt.Errorf("configuration: %s is set but CLUSTER_NAME is not", k)
			}
		}
		return nil, nil
	}
	cc := &actors.ClusterConfig{Name: name, Addr: strings.TrimSpace(get("CLUSTER_ADDR")),
		BindHost: strings.TrimSpace(get("CLUSTER_BIND_HOST"))}
	if p := strings.TrimSpace(get("CLUSTER_MEMBERSHIP_PORT")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("configuration: CLUSTER_MEMBERSHIP_PORT=%q is not a port", p)
		}
		cc.MembershipPort = n
	}
	for _, m := range strings.Split(get("CLUSTER_MEMBERS"), ",") {
		if m = strings.TrimSpace(m); m != "" {
			cc.Members = append(cc.Members, m)
		}
	}
	if v := strings.TrimSpace(get("CLUSTER_MEMBERSHIP_REFRESH")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("configuration: CLUSTER_MEMBERSHIP_REFRESH=%q is not a positive duration", v)
		}
		cc.MembershipRefresh = d
	}
	if host, port, err := net.SplitHostPort(cc.Addr); err == nil && host == "auto" {
		self, err := ownAddress()
		if err != nil {
			return nil, fmt.Errorf("configuration: CLUSTER_ADDR=auto:%s: %w", port, err)
		}
		cc.Addr = net.JoinHostPort(self, port)
		if cc.BindHost == "" {
			cc.BindHost = "0.0.0.0"
		}
	}
	if err := cc.Validate(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return cc, nil
}

// ownAddress is this machine's hostname resolved to an address.
func ownAddress() (string, error) {
	h, err := os.Hostname()
	if err != nil {
		return "", err
	}
	addrs, err := net.LookupHost(h)
	if err != nil || len(addrs) == 0 {
		return "", fmt.Errorf("hostname %q does not resolve: %v", h, err)
	}
	return addrs[0], nil
}

// newDirectory places the instructor actors: in this process, or across the cluster when the
// CLUSTER_* settings say so.
func newDirectory(store actors.Store, acfg actors.Config, log *slog.Logger) (*actors.Directory, error) {
	cc, err := clusterFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	if cc == nil {
		return actors.NewDirectory(store, acfg), nil
	}
	log.Info("joining the actor cluster", "cluster", cc.Name, "addr", cc.Addr,
		"membership_port", cc.MembershipPort, "members", strings.Join(cc.Members, ","))
	return actors.NewClusterDirectory(store, acfg, *cc)
}

// clusterInfo adapts the directory's cluster view for /readyz (nil without a cluster).
func clusterInfo(dir *actors.Directory) func() *api.ClusterInfo {
	return func() *api.ClusterInfo {
		s, ok := dir.ClusterStatus()
		if !ok {
			return nil
		}
		return &api.ClusterInfo{Members: s.Members, Self: s.Self, Addresses: s.Addresses}
	}
}
