//! Every host generation (PROTOCOL.md §1.1) has a simulator profile of the same name, and the
//! two sides agree on what distinguishes it: its ATR, its root selection and its DH parameters.

use cie_core::variant::{Generation, RootSelect};
use cie_sim::profile::Profile;

#[test]
fn the_simulator_has_a_profile_for_every_host_generation() {
    for g in Generation::KNOWN {
        let p = Profile::ALL
            .into_iter()
            .find(|p| p.name() == g.name())
            .unwrap_or_else(|| panic!("no simulator profile is named {:?}", g.name()));
        assert_eq!(Generation::from_atr(p.atr()), Some(g), "the ATR of profile {p}");
        assert_eq!(g.root_select() == RootSelect::IasAid, p.has_ias_aid(), "{g:?}");
        assert_eq!(g.dh_params_one_call(), p.dh_params_one_call(), "{g:?}");
    }
    // And no profile the host would not name.
    for p in Profile::ALL {
        assert!(Generation::KNOWN.iter().any(|g| g.name() == p.name()), "profile {p} has no host generation");
    }
    assert_eq!(Generation::KNOWN.len(), Profile::ALL.len());
}
