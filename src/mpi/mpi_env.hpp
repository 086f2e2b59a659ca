// MPI for the pipeline: one process is a singleton job of one rank, so the
// same code runs with and without mpirun/srun.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nm::mpi {

// Initialises MPI once per process (MPI_THREAD_FUNNELED: only the main thread
// calls MPI; worker threads only score) and finalises it at exit. Safe to call
// many times. Returns the world communicator.
MPI_Comm ensure_initialized();

// True when started by mpirun/srun with more than one process in the world.
bool launched_by_mpi();

int rank(MPI_Comm c);
int size(MPI_Comm c);

// Throws std::runtime_error("<what>: <MPI error text>") when rc != MPI_SUCCESS.
void check(int rc, const char* what);

// Kills the whole job (every rank) with `code` after printing nothing more.
[[noreturn]] void abort_job(MPI_Comm c, int code);

// The rank the launcher gave this process (OMPI_COMM_WORLD_RANK, PMIX_RANK,
// PMI_RANK, SLURM_PROCID), readable before MPI is initialised; 0 without one.
int launcher_rank();
bool initialized();
// Set when an error was agreed on by every rank (see jobs/pipeline/agreement.hpp):
// the job can then end normally; any other error in a multi-rank job aborts it.
void mark_error_agreed();
bool error_agreed();

// Allgather of one value per rank.
std::vector<uint64_t> allgather_u64(MPI_Comm c, uint64_t v);
uint64_t allreduce_sum(MPI_Comm c, uint64_t v);
uint64_t allreduce_max(MPI_Comm c, uint64_t v);
double allreduce_max(MPI_Comm c, double v);
// Sum of v over the ranks below this one (0 on rank 0).
uint64_t exscan_sum(MPI_Comm c, uint64_t v);

// Gathers a byte string from every rank on `root` (others get an empty vector).
std::vector<std::string> gather_bytes(MPI_Comm c, const std::string& mine, int root);
// Every rank's values, concatenated in rank order, on every rank (one
// MPI_Allgather of the counts and one MPI_Allgatherv).
std::vector<uint64_t> allgatherv_u64(MPI_Comm c, const std::vector<uint64_t>& mine);
// Broadcasts a byte string from `root`.
void bcast_bytes(MPI_Comm c, std::string& bytes, int root);

}  // namespace nm::mpi
