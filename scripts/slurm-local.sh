#!/usr/bin/env bash
# slurm-local.sh start|stop|status — a real one-node Slurm cluster on this
# machine, for phantom's cluster tests and for trying examples/slurm/.
#
#   start   installs Debian's slurm-wlm and munge when missing (as root, with
#           apt-get), writes a one-node configuration (this host, as many
#           CPUs as nproc, proctrack/linuxproc, task/affinity: each task
#           bound to the cores it was given, with sched_setaffinity, no
#           cgroups, no systemd), starts munged, slurmctld and slurmd
#           directly, and waits until sinfo shows the node idle. Running it
#           again while the cluster is up changes nothing; when the
#           configuration it writes has changed (an older version of this
#           script wrote the running one), it restarts slurmctld and slurmd.
#   stop    stops the three daemons by the PIDs they wrote.
#   status  prints sinfo, or exits 1 when the cluster is not up.
#
# State (configuration copy, spool, logs, PID files) lives in
# $PHANTOM_SLURM_DIR (default /var/lib/phantom-slurm). The configuration is
# written to /etc/slurm/slurm.conf, where sbatch and sinfo look, unless a
# slurm.conf that this script did not write is there: then it stops with an
# error rather than replace a real cluster's configuration.
set -euo pipefail

STATE=${PHANTOM_SLURM_DIR:-/var/lib/phantom-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# written by phantom scripts/slurm-local.sh"
PATH=$PATH:/usr/sbin:/sbin

log() { echo "slurm-local: $*" >&2; }
die() { log "$*"; exit 1; }

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_packages() {
	if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null && command -v sbatch >/dev/null; then
		return
	fi
	[ "$(id -u)" = 0 ] || die "slurm-wlm and munge are not installed; run as root to install them"
	log "installing slurm-wlm and munge"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

write_config() {
	local host cpus
	host=$(hostname -s)
	cpus=$(nproc)
	mkdir -p "$STATE/ctld" "$STATE/d" /etc/slurm
	if [ -e "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
		die "$CONF exists and was not written by this script; not replacing it"
	fi
	cat >"$STATE/slurm.conf.new" <<EOF
$MARK
ClusterName=phantom
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
TaskPluginParam=Cores
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
	if [ -e "$CONF" ] && cmp -s "$STATE/slurm.conf.new" "$CONF"; then
		rm "$STATE/slurm.conf.new"
	else
		mv "$STATE/slurm.conf.new" "$CONF"
		CHANGED=1
	fi
}

start_munge() {
	if alive "$STATE/munged.pid" && munge -n </dev/null | unmunge >/dev/null 2>&1; then
		return
	fi
	if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
		return # a munged started by the system
	fi
	if [ ! -s /etc/munge/munge.key ]; then
		log "creating /etc/munge/munge.key"
		mkdir -p /etc/munge
		if command -v mungekey >/dev/null; then
			mungekey --create --keyfile=/etc/munge/munge.key
		else
			dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
		fi
	fi
	mkdir -p /run/munge /var/log/munge /var/lib/munge
	if id munge >/dev/null 2>&1; then
		chown munge:munge /etc/munge /etc/munge/munge.key /run/munge /var/log/munge /var/lib/munge
		chmod 0700 /etc/munge
		chmod 0400 /etc/munge/munge.key
		chmod 0755 /run/munge
		runuser -u munge -- munged --pid-file="$STATE/munged.pid.tmp" || die "munged did not start (see /var/log/munge/munged.log)"
		mv "$STATE/munged.pid.tmp" "$STATE/munged.pid" 2>/dev/null || pgrep -u munge -n munged >"$STATE/munged.pid"
	else
		munged --force --pid-file="$STATE/munged.pid" || die "munged did not start"
	fi
	for _ in $(seq 50); do
		munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return
		sleep 0.1
	done
	die "munged started but munge -n | unmunge fails"
}

wait_idle() {
	local host state
	host=$(hostname -s)
	for _ in $(seq 120); do
		state=$(sinfo -h -N -n "$host" -o %t 2>/dev/null | head -1 || true)
		case $state in
		idle | mix | alloc) return ;;
		down* | drain* | fail*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
		esac
		sleep 0.5
	done
	log "the node is not idle after 60 s (state: ${state:-none}); slurmctld log:"
	tail -20 "$STATE/slurmctld.log" >&2 || true
	log "slurmd log:"
	tail -20 "$STATE/slurmd.log" >&2 || true
	exit 1
}

start() {
	install_packages
	CHANGED=
	write_config
	if [ -n "$CHANGED" ] && { alive "$STATE/slurmctld.pid" || alive "$STATE/slurmd.pid"; }; then
		log "the configuration changed; restarting slurmctld and slurmd"
		stop_pid slurmd "$STATE/slurmd.pid"
		stop_pid slurmctld "$STATE/slurmctld.pid"
	fi
	start_munge
	if ! alive "$STATE/slurmctld.pid"; then
		log "starting slurmctld"
		slurmctld -f "$CONF" || die "slurmctld did not start; see $STATE/slurmctld.log"
	fi
	for _ in $(seq 50); do
		scontrol ping 2>/dev/null | grep -q UP && break
		sleep 0.2
	done
	if ! alive "$STATE/slurmd.pid"; then
		log "starting slurmd"
		slurmd -f "$CONF" || die "slurmd did not start; see $STATE/slurmd.log"
	fi
	wait_idle
	log "up: $(sinfo -h -o '%P %D node(s) %c CPUs %t')"
}

stop_pid() {
	local name=$1 file=$2
	if alive "$file"; then
		local pid
		pid=$(cat "$file")
		log "stopping $name ($pid)"
		kill "$pid"
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	fi
	rm -f "$file"
}

stop() {
	stop_pid slurmd "$STATE/slurmd.pid"
	stop_pid slurmctld "$STATE/slurmctld.pid"
	stop_pid munged "$STATE/munged.pid"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) sinfo ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
