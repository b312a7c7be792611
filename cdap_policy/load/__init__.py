"""Load, the first step of the data path (load → logs → evaluate → report → formatters → cli):
the files a run reads, read safely and validated, each value with its line.

YAML and JSON read with our limits (`yamlsource`), validated against our JSON Schemas (`schema`;
what the snapshot schema allows, for `init` and the importers: `schemainfo`); the partner's
snapshot (`snapshot`), and what a file is when it is not one (`filekinds`); the policy pack, its
rules with every expression compiled once (`pack`), its parameters (`params`); the configuration
file (`config`). The pack is compiled here by the engine of the run (`engines`, the layer below):
loading a pack that does not compile stops the run before any snapshot is judged.
"""
