#!/bin/sh
#SBATCH --job-name=lrtrain-schedules
#SBATCH --array=0-14
#SBATCH --cpus-per-task=1
#SBATCH --output=/scratch/ada/runs/schedules/slurm-%A_%a.out
#SBATCH --partition=cpu
#SBATCH --time=00:30:00

# Task I of 15 runs the trials whose index mod 15 is I. Watch with `squeue --me` or
# `scontrol show job JOBID`; afterwards `lrtrain sweep SWEEP --out OUT` prints the merged
# table and trains only what is missing.
set -eu
exec /opt/lrtrain/bin/lrtrain sweep /home/ada/sweeps/schedules.toml --out /scratch/ada/runs/schedules --shard "$SLURM_ARRAY_TASK_ID/15" --jobs 1
