from . import safe_logging
from . import malformed_requests
from . import client_errors
from . import rpc_patches
from . import models
from . import wizards
from . import master_password

rpc_patches.apply()
malformed_requests.apply()
master_password.apply()
client_errors.apply()
safe_logging.apply()
