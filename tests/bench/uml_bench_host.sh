# The host half of a benchmark that runs inside a User-Mode Linux guest
# (checkers_uml.sh, ipvsd_scale.sh): sourced, not run.
#
# uml_bench_bindir PROG BINDIR NEED...: sets bin to BINDIR made absolute,
#   after checking that each NEED is executable (a name without '/' is one of
#   BINDIR's programs) and that the guest can see BINDIR (it mounts tmpfs on
#   /tmp, /run and /var/tmp). Exits 2 with a message otherwise.
# uml_bench_boot PROG SCRIPT TIMEOUT MEM: boots the guest with MEM of memory
#   and runs SCRIPT in it for at most TIMEOUT seconds (replaces the shell).

uml_bench_bindir() {
  local prog=$1 need
  bin=$(realpath -m -- "$2")
  shift 2
  for need in "$@"; do
    [[ $need == */* ]] || need=$bin/$need
    [[ -x $need ]] || { echo "$prog: $need missing (make all; make deps)" >&2; exit 2; }
  done
  case $bin/ in
    /tmp/*|/run/*|/var/tmp/*) echo "$prog: $bin is hidden in the guest (tmpfs there); build elsewhere" >&2; exit 2 ;;
  esac
}

uml_bench_boot() {
  local prog=$1 script=$2 timeout=$3 mem=$4
  echo "${prog%.sh}: booting a UML guest (up to $timeout s); host load: $(cut -d' ' -f1-3 /proc/loadavg)"
  exec "$(dirname "$script")/../uml/uml-run" --timeout "$timeout" --mem "$mem" "$script"
}
