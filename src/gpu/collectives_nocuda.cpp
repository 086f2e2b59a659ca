// The NCCL side of src/gpu/collectives.hpp in builds without CUDA: NCCL is
// never chosen (src/gpu/nccl_collectives.cpp replaces this file with CUDA).
#include "src/gpu/collectives.hpp"

namespace nm::gpu::detail {

bool nccl_built() { return false; }

std::string gpu_identity(DeviceApi& /*device*/) { return {}; }

std::unique_ptr<Collectives> make_nccl_collectives(MPI_Comm /*comm*/, DeviceApi& /*device*/) {
  throw DeviceError("NCCL collectives: this binary was built without CUDA");
}

}  // namespace nm::gpu::detail
