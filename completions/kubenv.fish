# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubenv_global_optspecs
    string join \n kubeconfig= context= o/output= no-headers q/quiet v/verbose y/yes timeout= h/help V/version
end

function __fish_kubenv_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubenv_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubenv_using_subcommand
    set -l cmd (__fish_kubenv_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubenv -n "__fish_kubenv_needs_command" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_needs_command" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_needs_command" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_needs_command" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_needs_command" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_needs_command" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_needs_command" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_needs_command" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_needs_command" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_needs_command" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "create" -d 'Create an environment (namespace + guardrails) and connect to it'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "list" -d 'List environments'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "ls" -d 'List environments'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "get" -d 'Show one environment'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "connect" -d 'Write a kubeconfig context for an environment and switch to it'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "disconnect" -d 'Switch kubectl back to the context in use before `connect`'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "token" -d 'Print a short-lived credential for an environment (kubectl exec plugin)'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "sleep" -d 'Scale an environment\'s workloads to zero and block new pods'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "wake" -d 'Restore what `sleep` scaled down'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "delete" -d 'Delete an environment and its kubeconfig entries'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "rm" -d 'Delete an environment and its kubeconfig entries'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "extend" -d 'Move an environment\'s expiry'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "templates" -d 'List the templates (golden paths) of the policy'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "gc" -d 'Delete expired environments; put idle or out-of-schedule ones to sleep'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "history" -d 'Show the audit trail of lifecycle actions'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "cost" -d 'Show what environments cost per day, and what sleep saved'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "admin" -d 'Platform admin: install the policy and RBAC, show or validate the policy'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "name" -d 'Print the environment name for a git branch (what `create --from-branch` uses)'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "version" -d 'Print the client\'s and the server\'s version'
complete -c kubenv -n "__fish_kubenv_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l from-branch -d 'Name the environment after a git branch, as `kubenv name BRANCH` prints it (stable, valid, at most 40 characters)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -s l -l label -d 'Label for the namespace, KEY=VALUE (repeatable); `kubenv list -l KEY=VALUE` finds it' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l annotation -d 'Annotation for the namespace, KEY=VALUE (repeatable), e.g. a pull request\'s URL' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l team -d 'Team that owns the environment (for listing and cost)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l ttl -d 'Time to live, e.g. 8h, 2d, 1w (default and maximum from the policy)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l owner -d 'Record this identity as the owner instead of the caller\'s' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l template -d 'Template (golden path) to build it from; see the policy' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l wait-timeout -d 'How long --wait waits (exit 6 after it), apart from the API --timeout' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l wait -d 'Wait until the environment is ready: quota counted, the template\'s Deployments and StatefulSets available'
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l if-not-exists -d 'Exit 0 if it already exists and is yours, re-applying its guardrails'
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l no-connect -d 'Do not write a kubeconfig context'
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l no-switch -d 'Write the context but keep the current one'
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand create" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -l owner -d 'Only environments of this owner' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -l team -d 'Only environments of this team' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -s l -l selector -d 'Label selector, e.g. tier=preview' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -s A -l all -d 'Everyone\'s environments, not only yours'
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -s w -l watch -d 'After listing, print every change (created, changed, deleted) until Ctrl-C; with -o json, one WatchEvent object a line'
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand list" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -l owner -d 'Only environments of this owner' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -l team -d 'Only environments of this team' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -s l -l selector -d 'Label selector, e.g. tier=preview' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -s A -l all -d 'Everyone\'s environments, not only yours'
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -s w -l watch -d 'After listing, print every change (created, changed, deleted) until Ctrl-C; with -o json, one WatchEvent object a line'
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand ls" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand get" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand get" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand get" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand get" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand get" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand get" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand get" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand get" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand get" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand get" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -l credentials -d 'How the context authenticates' -r -f -a "exec\t'`kubenv token` as a kubectl exec plugin: short-lived tokens minted on demand'
token\t'A short-lived token embedded in the kubeconfig'
host\t'Your own host-cluster credentials, with the environment\'s namespace'"
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -l token-ttl -d 'Lifetime of minted tokens (at least 10m)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -l print -d 'Print a self-contained kubeconfig (embedded short-lived token) and write nothing'
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -l no-switch -d 'Write the context but keep the current one'
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubenv -n "__fish_kubenv_using_subcommand connect" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand disconnect" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand disconnect" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand disconnect" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand disconnect" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand disconnect" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand disconnect" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand disconnect" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand disconnect" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand disconnect" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand disconnect" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -l namespace -d 'The environment\'s namespace (saves a lookup)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -l token-ttl -d 'Lifetime of minted tokens' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand token" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -l wait-timeout -d 'How long --wait waits (exit 6 after it), apart from the API --timeout' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -l wait -d 'Wait until its workloads have stopped (sleep) or are all available again (wake)'
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand sleep" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -l wait-timeout -d 'How long --wait waits (exit 6 after it), apart from the API --timeout' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -l wait -d 'Wait until its workloads have stopped (sleep) or are all available again (wake)'
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand wake" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -l wait -d 'Wait until the namespace is gone'
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -l ignore-not-found -d 'Exit 0 when the environment does not exist'
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand delete" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -l wait -d 'Wait until the namespace is gone'
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -l ignore-not-found -d 'Exit 0 when the environment does not exist'
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand rm" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -l ttl -d 'New time to live, from now (at most the policy\'s maximum)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand extend" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand templates" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand templates" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand templates" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand templates" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand templates" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand templates" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand templates" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand templates" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand templates" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand templates" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -l dry-run -d 'Only report what would be done'
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand gc" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -l since -d 'Only entries newer than this, e.g. 2h, 7d' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand history" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -l by -d 'Group totals by environment, owner or team' -r -f -a "env\t''
owner\t''
team\t''"
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand cost" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -f -a "init" -d 'Install kubenv-system, the policy and the engineer/admin ClusterRoles (idempotent)'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -f -a "check" -d 'Show what the API server enforces on this cluster: admission policies, bindings, parameters'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -f -a "policy" -d 'Show or validate the policy'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and not __fish_seen_subcommand_from init check policy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -l policy -d 'Policy file to install (default: the built-in defaults)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -l engineers-group -d 'Bind this group to the kubenv:engineer ClusterRole' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -l admins-group -d 'Bind this group to the kubenv:admin ClusterRole' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -l gc-cronjob-image -d 'Print (do not apply) a CronJob, ServiceAccount and RBAC running `kubenv gc` in the cluster' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -l gc-schedule -d 'Schedule of that CronJob' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -l dry-run -d 'Ask the server to check everything without changing anything'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from check" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from check" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from check" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from check" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from check" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from check" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from check" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -f -a "show" -d 'Print the policy in force (the cluster\'s, or the built-in defaults)'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -f -a "validate" -d 'Check a policy file offline; errors name the line'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from policy" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "init" -d 'Install kubenv-system, the policy and the engineer/admin ClusterRoles (idempotent)'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "check" -d 'Show what the API server enforces on this cluster: admission policies, bindings, parameters'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "policy" -d 'Show or validate the policy'
complete -c kubenv -n "__fish_kubenv_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubenv -n "__fish_kubenv_using_subcommand completions" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand completions" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand completions" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand completions" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand completions" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand completions" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand completions" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand completions" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand completions" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -l max-length -d 'Longest name to make (16 to 63)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand name" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -l context -d 'The host cluster\'s kubeconfig context (default: the current context)' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -s o -l output -d 'Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -l timeout -d 'Deadline for the command\'s work with the cluster, e.g. 30s, 2m' -r
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -l client -d 'Only the client\'s version; no cluster needed'
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -l no-headers -d 'Tables without their header line'
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -s q -l quiet -d 'Print only results, no progress or notes'
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -s v -l verbose -d 'More detail on stderr (never credentials)'
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -s y -l yes -d 'Answer yes to confirmations'
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -s h -l help -d 'Print help'
complete -c kubenv -n "__fish_kubenv_using_subcommand version" -s V -l version -d 'Print version'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "create" -d 'Create an environment (namespace + guardrails) and connect to it'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "list" -d 'List environments'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "get" -d 'Show one environment'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "connect" -d 'Write a kubeconfig context for an environment and switch to it'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "disconnect" -d 'Switch kubectl back to the context in use before `connect`'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "token" -d 'Print a short-lived credential for an environment (kubectl exec plugin)'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "sleep" -d 'Scale an environment\'s workloads to zero and block new pods'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "wake" -d 'Restore what `sleep` scaled down'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "delete" -d 'Delete an environment and its kubeconfig entries'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "extend" -d 'Move an environment\'s expiry'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "templates" -d 'List the templates (golden paths) of the policy'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "gc" -d 'Delete expired environments; put idle or out-of-schedule ones to sleep'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "history" -d 'Show the audit trail of lifecycle actions'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "cost" -d 'Show what environments cost per day, and what sleep saved'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "admin" -d 'Platform admin: install the policy and RBAC, show or validate the policy'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "completions" -d 'Print a shell completion script'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "name" -d 'Print the environment name for a git branch (what `create --from-branch` uses)'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "version" -d 'Print the client\'s and the server\'s version'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and not __fish_seen_subcommand_from create list get connect disconnect token sleep wake delete extend templates gc history cost admin completions name version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "init" -d 'Install kubenv-system, the policy and the engineer/admin ClusterRoles (idempotent)'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "check" -d 'Show what the API server enforces on this cluster: admission policies, bindings, parameters'
complete -c kubenv -n "__fish_kubenv_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "policy" -d 'Show or validate the policy'

# Environment names, from the cluster.
complete -c kubenv -n '__fish_seen_subcommand_from get connect sleep wake delete rm extend history token' -f -a '(kubenv list -o name 2>/dev/null | string replace environment/ "")'
