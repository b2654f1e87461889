"""Generated protobuf code of lava.action.v1 (see proto/action/v1/action.proto)."""
