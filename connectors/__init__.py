"""Built-in connectors. Each subpackage registers under the ``harbormaster.connectors``
entry point group and uses only gateway's public contract."""
