//! A component that exports another world than the contract's `provider`:
//! a well-formed component that is not a bedrock-host plugin.

wit_bindgen::generate!({
    inline: "
        package misfit:greeter;

        interface greeting {
            greet: func() -> string;
        }

        world greeter {
            export greeting;
        }
    ",
});

struct Greeter;

impl exports::misfit::greeter::greeting::Guest for Greeter {
    fn greet() -> String {
        "hello, not an adapter".into()
    }
}

export!(Greeter);
