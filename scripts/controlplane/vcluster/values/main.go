// Command values prints the default vCluster config of the pinned version (the Helm chart's
// values.yaml, which the config package embeds) as JSON. The test cluster's scripts merge their
// settings into it, as `helm install` merges values, to write Secret vc-config-NAME.
package main

import (
	"fmt"
	"os"

	"github.com/loft-sh/vcluster/config"
	"sigs.k8s.io/yaml"
)

func main() {
	out, err := yaml.YAMLToJSON([]byte(config.Values))
	if err != nil {
		fmt.Fprintln(os.Stderr, "values:", err)
		os.Exit(1)
	}
	_, _ = os.Stdout.Write(append(out, '\n'))
}
