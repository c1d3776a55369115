// Modes whose issues have not landed yet.

#include "mode.h"

namespace infralogs::modes {

RunFn setup_serve(CLI::App& sub) { return not_built_yet(sub, "issue 4"); }
RunFn setup_rotate_creds(CLI::App& sub) { return not_built_yet(sub, "the Vault issue"); }
RunFn setup_query(CLI::App& sub) { return not_built_yet(sub, "issue 4"); }

}  // namespace infralogs::modes
