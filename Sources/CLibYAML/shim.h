// LibYAML (Debian: libyaml-dev), whose parser events RelayYAML composes into the config's tree.
#include <yaml.h>
