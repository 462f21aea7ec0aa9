# shellcheck shell=bash
# Process figures for scripts/bench: CPU time and memory of a server and all its processes
# (nginx's workers, LiteLLM's uvicorn workers), and the chat completion the benchmarks' instant
# upstream (nginx `return 200`) answers with. Source it, don't run it.

# The instant upstream's answer, as vLLM writes a chat completion.
# shellcheck disable=SC2034 # used by the scripts that source this file
ANSWER='{"id":"chatcmpl-bench","object":"chat.completion","created":1732579200,"model":"bench-upstream","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":12,"total_tokens":22,"completion_tokens":10}}'

CLK_TCK=$(getconf CLK_TCK)

# tree_pids PID: PID and all its descendants, one a line.
tree_pids() {
    local pid=$1 child task children
    [[ -d /proc/$pid ]] || return 0
    echo "$pid"
    for task in /proc/"$pid"/task/*; do
        read -r -a children <"$task/children" 2>/dev/null || true
        for child in "${children[@]}"; do
            tree_pids "$child"
        done
    done
}

# cpu_seconds PID: user + system CPU seconds of PID and its descendants, so far.
cpu_seconds() {
    local ticks=0 pid stat rest
    for pid in $(tree_pids "$1"); do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        rest=${stat##*) } # the command name may hold spaces and parentheses: cut after the last ")"
        read -r -a fields <<<"$rest"
        ticks=$((ticks + fields[11] + fields[12])) # utime, stime (fields 14 and 15 of stat)
    done
    awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f\n", t / hz }'
}

# memory_mib FIELD PID: VmRSS or VmHWM (peak) of PID and its descendants together, in MiB.
memory_mib() {
    local field=$1 kib=0 pid value
    for pid in $(tree_pids "$2"); do
        value=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/status" 2>/dev/null)
        kib=$((kib + ${value:-0}))
    done
    awk -v k="$kib" 'BEGIN { printf "%.1f\n", k / 1024 }'
}
