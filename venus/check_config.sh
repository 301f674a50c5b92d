#!/bin/sh
# Checks a BatteryAggregator config, as the Python daemon's check_config.sh
# did, without Python and without touching the bus: batagg --check-config.
#
#   bash /data/BatteryAggregator/check_config.sh         the config the service reads
#   sh /data/BatteryAggregator/check_config.sh FILE      another file
#
# Prints what batagg says (OK and a summary of what the daemon will do,
# warnings, or one line per problem with its line and column) and exits with
# batagg's status: 0 when the config is OK (warnings or not), 1 when it has
# an error (the daemon then runs such keys at their defaults, or refuses to
# start where that is unsafe: see the README).
# For tests, BATAGG_ROOT puts the default config under another directory, as
# for setup.
here=$(cd "$(dirname "$0")" && pwd)
config=${1:-${BATAGG_ROOT:-}/data/setupOptions/BatteryAggregator/config.json}
if [ ! -e "$config" ]; then
	echo "BatteryAggregator: there is no $config; batagg runs with the default settings" >&2
fi
exec "$here/batagg" --check-config "$config"
