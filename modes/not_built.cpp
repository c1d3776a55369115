// Modes whose issues have not landed yet.

#include "mode.h"

namespace infralogs::modes {

RunFn setup_rotate_creds(CLI::App& sub) { return not_built_yet(sub, "the Vault issue"); }

}  // namespace infralogs::modes
